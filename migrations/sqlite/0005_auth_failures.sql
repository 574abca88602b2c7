-- Reserved for 0005_auth_failures (filled in by its issue before release; empty until then).
SELECT 1;

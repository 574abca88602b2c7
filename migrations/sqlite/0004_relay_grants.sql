-- Reserved for 0004_relay_grants (filled in by its issue before release; empty until then).
SELECT 1;

-- Reserved for 0003_aliases (filled in by its issue before release; empty until then).
SELECT 1;

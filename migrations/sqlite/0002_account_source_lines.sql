-- Reserved for 0002_account_source_lines (filled in by its issue before release; empty until then).
SELECT 1;

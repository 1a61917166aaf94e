-- Keyset cursors carry created_at as a JavaScript Date (milliseconds). PostgreSQL keeps microseconds, so a
-- cursor taken from a row would skip the rows created in the same millisecond after it (a whole batch written in
-- one transaction shares now()). Columns used in keyset pagination keep millisecond precision.
alter table api_tokens alter column created_at type timestamptz(3);

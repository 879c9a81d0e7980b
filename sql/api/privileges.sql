-- Privileges: nothing of schema aigw is granted to PUBLIC; the three group
-- roles (sql/schema/roles.sql) may use the schema, and each object says
-- which of them may do what (the GRANTs beside it).  Revoking from PUBLIC
-- also makes the owner's own privileges explicit on the tables and
-- sequences granted to no one (credentials, response_cache, submissions,
-- the identity sequences), as the upgrade scripts leave them.

REVOKE ALL ON SCHEMA aigw FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA aigw FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA aigw FROM PUBLIC;
GRANT USAGE ON SCHEMA aigw TO aigw_user, aigw_reader, aigw_admin;

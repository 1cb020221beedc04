-- The database roles of one Get-Your environment (P12), for both databases.
--
-- Run it as a PostgreSQL superuser (or a role with CREATEROLE and CREATEDB), once per
-- environment, with psql:
--
--   psql -v ON_ERROR_STOP=1 \
--        -v prefix=getyour_prod -v primary_db=getyour_prod -v analytics_db=getyour_prod_analytics \
--        -v migrator_password="$MIGRATOR_PASSWORD" -v app_password="$APP_PASSWORD" \
--        -v reader_password="$READER_PASSWORD" \
--        -f ref/sql/roles.sql
--
-- It creates (names are the prefix plus a suffix):
--   <prefix>_admin             NOLOGIN. Owns both databases. Grant it to the people who
--                              administer the environment: GRANT getyour_prod_admin TO alice;
--   <prefix>_migrator          LOGIN. Owns every table: `getyour migrate` connects as it
--                              (GETYOUR_DATABASE_PRIMARY_MIGRATION_URL and
--                              GETYOUR_DATABASE_ANALYTICS_MIGRATION_URL).
--   <prefix>_app               LOGIN. The base role `getyour serve` and `getyour jobs` run as
--                              (GETYOUR_DATABASE_PRIMARY_URL, GETYOUR_DATABASE_ANALYTICS_URL):
--                              SELECT, INSERT, UPDATE, DELETE on rows and nothing else: no
--                              CREATE, ALTER, DROP or TRUNCATE; INSERT and SELECT only on
--                              audit_events; SELECT only on _fluent_migrations.
--   <prefix>_analytics_reader  LOGIN. SELECT on the analytics database, for reports.
--
-- Tables that later migrations create are covered by default privileges (below). Two grants
-- can only be made once a table exists: `getyour migrate` makes them after every run when
-- GETYOUR_DATABASE_APP_ROLE (and GETYOUR_DATABASE_ANALYTICS_READER_ROLE) name these roles.
-- Running this file again after migrating makes them too. It is safe to run it again: it
-- creates only what is missing, sets the given passwords, and re-applies every grant.

\set admin_role :prefix _admin
\set migrator_role :prefix _migrator
\set app_role :prefix _app
\set reader_role :prefix _analytics_reader

-- Roles ---------------------------------------------------------------------------------
SELECT format('CREATE ROLE %I NOLOGIN', :'admin_role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'admin_role') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'migrator_role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'migrator_role') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app_role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'reader_role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'reader_role') \gexec

ALTER ROLE :"migrator_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'migrator_password';
ALTER ROLE :"app_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
ALTER ROLE :"reader_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'reader_password';
-- The admin role may act as the migrator (to fix a failed migration by hand).
GRANT :"migrator_role" TO :"admin_role";

-- Databases -----------------------------------------------------------------------------
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L', :'primary_db', :'admin_role', 'UTF8')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'primary_db') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L', :'analytics_db', :'admin_role', 'UTF8')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'analytics_db') \gexec

REVOKE ALL ON DATABASE :"primary_db" FROM PUBLIC;
REVOKE ALL ON DATABASE :"analytics_db" FROM PUBLIC;
-- CREATE on the database lets the migrator make schemas (the test suite gives each test one).
GRANT CONNECT, TEMPORARY, CREATE ON DATABASE :"primary_db" TO :"migrator_role";
GRANT CONNECT, TEMPORARY, CREATE ON DATABASE :"analytics_db" TO :"migrator_role";
GRANT CONNECT ON DATABASE :"primary_db" TO :"app_role";
GRANT CONNECT ON DATABASE :"analytics_db" TO :"app_role", :"reader_role";

-- The primary database ------------------------------------------------------------------
\connect :"primary_db"
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO :"migrator_role";
GRANT USAGE ON SCHEMA public TO :"app_role";
-- Tables and sequences the migrator creates from now on, in any schema.
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator_role" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator_role" GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";
-- Tables that exist already.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
SELECT format('REVOKE UPDATE, DELETE, TRUNCATE ON public.audit_events FROM %I', :'app_role')
  WHERE to_regclass('public.audit_events') IS NOT NULL \gexec
SELECT format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public._fluent_migrations FROM %I', :'app_role')
  WHERE to_regclass('public._fluent_migrations') IS NOT NULL \gexec

-- The analytics database ----------------------------------------------------------------
\connect :"analytics_db"
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO :"migrator_role";
GRANT USAGE ON SCHEMA public TO :"app_role", :"reader_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator_role" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator_role" GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator_role" GRANT SELECT ON TABLES TO :"reader_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader_role";
SELECT format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public._fluent_migrations FROM %I', :'app_role')
  WHERE to_regclass('public._fluent_migrations') IS NOT NULL \gexec

-- The Discord bot: the role (besides Manage Server) allowed to change a workspace's ledger.
ALTER TABLE workspaces ADD COLUMN admin_role_id TEXT;

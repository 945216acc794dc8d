"""WebDAV deposit entry point: WsgiDAV with per-account folders, feeding ``deposit_receive``."""

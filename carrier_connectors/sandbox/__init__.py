"""Local carrier sandbox (standard library only): see server.py."""

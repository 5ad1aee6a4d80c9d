"""Pictures and files: intake, sanitising, encrypted blob storage (see docs/attachments.md)."""

"""Reports: evidence, diagnostic reports, rendering and verification."""

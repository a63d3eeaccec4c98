"""The ISP's own network, one Django app per area (ipam, ...)."""

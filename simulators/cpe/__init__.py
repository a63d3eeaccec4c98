"""Simulated customer premises equipment, one sub-package per vendor, each serving the vendor's documented HTTP API."""

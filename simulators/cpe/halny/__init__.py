"""Simulated HALNy GPON ONTs: the JSON REST API v2 (:mod:`.ont`) over the configuration tree (:mod:`.config_tree`)."""

from simulators.cpe.halny.config_tree import factory_defaults
from simulators.cpe.halny.ont import HalnySimulator

__all__ = ["HalnySimulator", "factory_defaults"]

"""Simulated Fanvil/OpenVox IP phones: ``POST /xmlService`` (:mod:`.phone`), its XML (:mod:`.xmlservice`), HTTP auth."""

from simulators.cpe.fanvil.phone import FanvilSimulator

__all__ = ["FanvilSimulator"]

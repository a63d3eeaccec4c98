"""IPAM: VRFs, pools, subnets and race-free address allocation (ISPChamp /api/v1/ipam)."""

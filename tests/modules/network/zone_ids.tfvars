# Zones pinned by ID, in the order given: the same physical zones in every account, and a zone AWS
# adds later never joins the set.
name                  = "shop-test"
availability_zone_ids = ["euw1-az3", "euw1-az1"]

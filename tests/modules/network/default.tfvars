# The defaults: private subnets in the first two zones of the region, the four endpoints, nothing public.
name = "shop-test"

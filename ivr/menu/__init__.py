"""Walking a caller through the practice's menu tree, with spoed breaking through at every level."""

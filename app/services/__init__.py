"""Domain services: the rules of Hoso, independent of HTTP."""

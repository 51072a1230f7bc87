"""The Image service: Glance's v2 API over onestack's database and an image store."""

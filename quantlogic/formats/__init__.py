"""Files: the container, .qnet and .qlc, and every export and import format."""

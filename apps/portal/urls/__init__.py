"""One URL module per page group; wms/urls.py mounts each at its path with its namespace."""

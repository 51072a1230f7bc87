"""What a guest learns about itself: OpenStack's metadata documents (``content``), served
over HTTP to guests behind a per-network proxy (``app``) and written to a config drive
(``configdrive``). The facts come from compute's rows and the network seam (``facts``).
"""

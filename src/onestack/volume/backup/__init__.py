"""Volume backups' data side: the backup store seam (``base``: a Protocol; ``file`` the
default store under the data dir, ``memory`` the fake), how bytes become chunk objects
(``chunks``), how the worker reads volumes (``reading``), the worker (``worker``) and
its runner (``runner``: ``onestack agent backup``)."""

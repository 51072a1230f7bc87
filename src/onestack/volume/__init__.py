"""The Block Storage service (Cinder v3 API): volumes with real bytes on a backend behind a
narrow driver seam, reconciled by a volume agent per backend host."""

"""Glance v2 routes: parse → service (which checks policy and visibility) → view."""

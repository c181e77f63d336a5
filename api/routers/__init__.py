"""One router per resource; each route validates, calls one storage method, returns."""

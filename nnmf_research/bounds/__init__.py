"""How small can k be: exact-NMF upper bounds, certificates and (coming) lower bounds on rank₊."""

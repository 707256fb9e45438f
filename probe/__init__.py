"""The netq probe: measures a subscriber line (or a node) and spools the results."""

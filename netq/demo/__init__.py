"""`netq demo`: the whole loop on this one machine, from probes to the quarterly report."""

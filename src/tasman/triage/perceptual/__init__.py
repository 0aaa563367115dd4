"""Perceptual-hash primitives that hashing, the hash-set formats and matching all build on: PDQ
codes and their hex form (``codes``), the dihedral variants of a picture (``dihedral``), region
hashes (``regions``) and the PDQ index (``pdqindex``, with its compiled search loop
``mihkernel``). They import nothing else of triage, so triage's packages import downwards only."""

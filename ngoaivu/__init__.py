"""ngoaivu, the roof: the command line (ngoaivu.cli), the bench and the stand-ins tooling drives
(ngoaivu.testing). It answers Vietnamese foreign-affairs officers' questions from cited documents;
nothing in the product imports it."""
__version__ = "0.1.0"

"""ngoaivu: answers Vietnamese foreign-affairs officers' questions from cited documents."""
__version__ = "0.1.0"

"""neurocycle.rtl — SystemVerilog sources of the reference chip (package data) and the helper that builds them."""

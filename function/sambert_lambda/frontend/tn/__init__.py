"""Text-normalization rules, one module per category. ``frontend.normalize`` chains them in a fixed order.

Every rule module exposes pure ``str -> str`` functions built from linear-time regular expressions (no nested
quantifiers), so normalization stays linear in the input length.
"""

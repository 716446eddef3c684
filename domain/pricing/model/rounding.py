"""Deterministic integer arithmetic for money: half-up division, percent in basis points."""

from __future__ import annotations

BP = 10_000  # basis points in 100 %


def div_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero (0.5 kopeck -> 1 kopeck)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if numerator < 0:
        return -div_half_up(-numerator, denominator)
    return (2 * numerator + denominator) // (2 * denominator)


def percent_of(amount: int, basis_points: int) -> int:
    """``basis_points`` / 10 000 of ``amount``, half-up (1 250 bp of 999 = 124.875 -> 125)."""
    return div_half_up(amount * basis_points, BP)


def included_tax(gross: int, rate_bp: int) -> int:
    """The tax contained in a tax-inclusive ``gross`` amount: gross * r / (1 + r), half-up."""
    return div_half_up(gross * rate_bp, BP + rate_bp)

"""Model ids and prices per tier: one packaged table, overridable by a config file.

Costs are computed in Decimal from the usage the API returns, so a run's total is
the exact sum of its calls' list prices rather than an accumulation of float error.
"""

from __future__ import annotations

import os
import tomllib
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from activities.artifacts import attune_home
from workflows.schemas import TIERS, Tier, TokenUsage

PACKAGED_PRICES = "prices.toml"
PER_MILLION = Decimal(1_000_000)
COST_DECIMALS = 10


class TierPrice(BaseModel):
    """USD per million tokens; `cache_write` is the 5-minute cache write price."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1)
    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cache_write: Decimal = Field(ge=0)
    cache_read: Decimal = Field(ge=0)


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tiers: dict[Tier, TierPrice]

    @model_validator(mode="after")
    def _every_tier_priced(self) -> PriceTable:
        missing = [tier for tier in TIERS if tier not in self.tiers]
        if missing:
            raise ValueError(f"no prices for tier(s): {', '.join(missing)}")
        return self

    def model(self, tier: Tier) -> str:
        return self.tiers[tier].model

    def cost(self, tier: Tier, usage: TokenUsage) -> float:
        price = self.tiers[tier]
        total = (
            usage.input_tokens * price.input
            + usage.output_tokens * price.output
            + usage.cache_creation_input_tokens * price.cache_write
            + usage.cache_read_input_tokens * price.cache_read
        ) / PER_MILLION
        return float(round(total, COST_DECIMALS))

    def baseline(self, usage: TokenUsage) -> float:
        """What the same tokens would have cost on the top tier: the saving's reference."""
        return self.cost(TIERS[-1], usage)


def read_toml(path: Path) -> dict[str, Any]:
    """Floats parse as Decimal so `0.10` stays exactly a tenth."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh, parse_float=Decimal)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"cannot read price table {path}: {err}") from err


def override_path() -> Path | None:
    """`$ATTUNE_PRICES` must exist when set; `$ATTUNE_HOME/prices.toml` is optional."""
    explicit = os.environ.get("ATTUNE_PRICES")
    if explicit:
        return Path(explicit).expanduser()
    default = attune_home() / "prices.toml"
    return default if default.is_file() else None


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Field by field, so an override file can change one price and keep the rest."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_prices() -> PriceTable:
    packaged = files("activities.llm").joinpath(PACKAGED_PRICES)
    data = tomllib.loads(packaged.read_text(encoding="utf-8"), parse_float=Decimal)
    source = "the packaged price table"
    path = override_path()
    if path is not None:
        data = merge(data, read_toml(path))
        source = f"price table {path}"
    try:
        return PriceTable.model_validate(data)
    except ValidationError as err:
        raise ValueError(f"invalid {source}: {err}") from err

"""Concurrency: the account limit, reserved and provisioned concurrency, scaling rate, throttles.

Concurrency is the number of requests a function serves at the same time, so
the number of its busy execution environments (creating, initialising or
invoking). Rules, from https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
and https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html:

- the account has a Regional limit, 1,000 by default (S1.10.1), raisable;
- reserved concurrency gives a function its own pool and caps it there
  (S2.4.1); 0 stops it entirely, the console's "throttle" button (S2.4.2);
  at least 100 must stay unreserved for the other functions;
- provisioned concurrency keeps environments initialised in advance; it
  counts against the function's reserved concurrency, or else the unreserved
  pool;
- scaling rate: today each function may add 1,000 environments every 10 s
  (refilled continuously); in 2019 the account had an initial burst (3,000,
  1,000 or 500 by Region) and then +500 a minute;
- over any of these: ``TooManyRequestsException`` (429, S1.10.2) with a
  ``Reason``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidParameterValueException
from .quotas import BURST_BY_REGION_2019, Quotas

ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"
RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
SCALING_RATE = "FunctionInvocationRateLimitExceeded"


@dataclass
class FunctionConcurrency:
    """One function's share: its reservation, provisioned environments and what is in use."""

    reserved: int | None = None
    provisioned: int = 0
    busy_on_demand: int = 0
    busy_provisioned: int = 0
    tokens: float = 0.0
    refilled_at: float = 0.0

    @property
    def busy(self) -> int:
        return self.busy_on_demand + self.busy_provisioned


class ConcurrencyManager:
    """Admission control for new and reused environments, per era."""

    def __init__(self, quotas: Quotas, account_limit: int | None = None, region: str = "us-east-1") -> None:
        self.quotas = quotas
        if account_limit is not None and (isinstance(account_limit, bool) or not isinstance(account_limit, int)):
            raise InvalidParameterValueException(
                f"Account concurrency must be a whole number of at least {quotas.unreserved_min}, not "
                f"{account_limit!r} (the default, {quotas.account_concurrency:,}, is the Regional quota)."
            )
        self.account_limit = quotas.account_concurrency if account_limit is None else account_limit
        if self.account_limit < quotas.unreserved_min:
            raise InvalidParameterValueException(
                f"Account concurrency {self.account_limit} is below the {quotas.unreserved_min} that must stay "
                "unreserved."
            )
        self.functions: dict[str, FunctionConcurrency] = {}
        self.pool_busy = 0  # on-demand executions of functions without reserved concurrency
        self.total_busy = 0
        burst = BURST_BY_REGION_2019.get(region, 500) if not quotas.scaling_per_function else quotas.burst_concurrency
        self.burst = burst
        self._episode_start: float | None = None  # 2019: when the account first went past its burst
        self.unreserved_capacity = self.account_limit

    def add(self, name: str, reserved: int | None, provisioned: int, now: float) -> None:
        self.functions[name] = FunctionConcurrency(tokens=self.quotas.burst_concurrency, refilled_at=now)
        self.set_reserved(name, reserved)
        self.set_provisioned(name, provisioned)

    def remove(self, name: str) -> None:
        del self.functions[name]
        self._recompute()

    def _recompute(self) -> None:
        reserved = sum(f.reserved for f in self.functions.values() if f.reserved is not None)
        pooled_provisioned = sum(f.provisioned for f in self.functions.values() if f.reserved is None)
        self.unreserved_capacity = self.account_limit - reserved - pooled_provisioned
        """Concurrency left to functions without a reservation (less their provisioned environments)."""

    def set_reserved(self, name: str, reserved: int | None) -> None:
        """``PutFunctionConcurrency``: checks that 100 stays unreserved, as AWS does."""
        state = self.functions[name]
        others = sum(f.reserved for n, f in self.functions.items() if n != name and f.reserved is not None)
        if reserved is not None and self.account_limit - others - reserved < self.quotas.unreserved_min:
            raise InvalidParameterValueException(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{self.quotas.unreserved_min}]."
            )
        if reserved is not None and state.provisioned > reserved:
            raise InvalidParameterValueException(
                f"Reserved concurrency {reserved} is below the function's provisioned concurrency "
                f"{state.provisioned}: lower the provisioned concurrency first."
            )
        state.reserved = reserved
        self._recompute()

    def set_provisioned(self, name: str, provisioned: int) -> None:
        state = self.functions[name]
        limit = state.reserved if state.reserved is not None else self.unreserved_capacity + state.provisioned
        limit_name = "reserved concurrency" if state.reserved is not None else "unreserved account concurrency"
        if state.reserved is None:
            limit -= self.quotas.unreserved_min
        if provisioned > max(0, limit):
            raise InvalidParameterValueException(
                f"Requested provisioned concurrency {provisioned} exceeds the available {limit_name} ({max(0, limit)})."
            )
        state.provisioned = provisioned
        self._recompute()

    def admit(self, name: str, *, provisioned_env: bool, new_env: bool, now: float) -> tuple[str | None, bool]:
        """Take one unit of concurrency for a request.

        Returns ``(reason, pooled)``: a throttle ``Reason`` if none is left, else
        ``None`` and whether the unit came from the unreserved pool (pass it
        back to :meth:`release`).
        """
        state = self.functions[name]
        if provisioned_env:
            state.busy_provisioned += 1
            self.total_busy += 1
            return None, False
        pooled = state.reserved is None
        if not pooled:
            if state.busy_on_demand + state.provisioned >= state.reserved:  # type: ignore[operator]
                return RESERVED_LIMIT, False
        elif self.pool_busy >= self.unreserved_capacity:
            return ACCOUNT_LIMIT, False
        if new_env:
            reason = self._scale(state, now)
            if reason is not None:
                return reason, False
        state.busy_on_demand += 1
        self.pool_busy += pooled
        self.total_busy += 1
        return None, pooled

    def release(self, name: str, *, provisioned_env: bool, pooled: bool) -> None:
        """Give back what :meth:`admit` took."""
        state = self.functions[name]
        if provisioned_env:
            state.busy_provisioned -= 1
        else:
            state.busy_on_demand -= 1
            self.pool_busy -= pooled
        self.total_busy -= 1
        if self._episode_start is not None and self.total_busy <= self.burst:
            self._episode_start = None

    def _scale(self, state: FunctionConcurrency, now: float) -> str | None:
        q = self.quotas
        if q.scaling_per_function:
            rate = q.scaling_step / q.scaling_period_s
            state.tokens = min(float(q.scaling_step), state.tokens + (now - state.refilled_at) * rate)
            state.refilled_at = now
            if state.tokens < 1:
                return SCALING_RATE
            state.tokens -= 1
            return None
        # 2019: the whole account may run `burst` at once, then grows by 500 a minute while demand lasts.
        if self.total_busy < self.burst:
            return None
        if self._episode_start is None:
            self._episode_start = now
        allowed = self.burst + q.scaling_step * (now - self._episode_start) / q.scaling_period_s
        return None if self.total_busy < allowed else ACCOUNT_LIMIT

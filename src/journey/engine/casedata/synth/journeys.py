"""Children's journeys through social care, simulated for all children of a chunk at once.

The skeleton: children arrive at the front door (a first referral), and each referral
opens an episode that moves through phases — assessment, section 47 enquiry, child
protection plan, child in need plan, a period of care — until it closes; some children
are referred again. Each phase is simulated for every episode in it at once (NumPy), so
the Python loops run over *steps of a journey* (a dozen), never over children.

History is simulated from 18 years before the window so the children already in care,
on plans, or leaving care when the window opens are there in believable numbers; only
what touches the window (and the year before it, for re-referrals and stability) is
written out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from journey.engine.casedata.synth import _util as u
from journey.engine.casedata.synth.profile import SynthProfile

I64 = np.int64

# Phases of an episode.
ASSESS, S47, CP, CIN, CLA, CLOSE, DONE = range(7)

# Care routes (how a period of care ends).
RETURN, ADOPTION, SGO, CAO, LONG_STAY = range(5)

# Allocation services for each phase.
PHASE_SERVICE = {
    ASSESS: "assessment",
    S47: "assessment",
    CP: "cin_cp",
    CIN: "cin_cp",
    CLA: "children_in_care",
}

# Age at first referral (years 0..17), as relative weights: babies and young teenagers most.
_FIRST_AGE = np.array(
    [13, 6.5, 6, 6, 5.5, 5.5, 5.5, 5.5, 5.5, 5.5, 5.5, 6, 6.5, 7, 7.5, 7, 5.5, 3.5]
)

# Referral-phase probabilities at the default profile.
P_REFERRAL_NFA = 0.06
P_S47 = 0.40  # of assessments, a strategy discussion and section 47 enquiry
P_CIN_AFTER_ASSESSMENT = 0.30
P_EH_AFTER_ASSESSMENT = 0.17
# A child who has been on a plan before: of their section 47s, the share with an initial
# conference, and of their closed episodes, the share followed by another referral. Not
# scaled by the profile's targets: the risk of a second plan belongs to the child's history,
# so second plans stay about a quarter of plan starts (England 24.5% in 2024-25, DfE D3)
# whatever a council's volumes.
P_ICPC_REPEAT = 0.84
P_REREFERRAL_AFTER_CP = 0.6
P_ICPC = 0.5  # of section 47s, an initial conference (scaled by the CP target)
P_PLAN = 0.87
P_EMERGENCY_CARE = 0.072  # of section 47s without a plan, straight into care
P_CIN_AFTER_S47 = 0.45
P_CP_TO_CARE = 0.143
P_CP_STEP_DOWN = 0.57
P_CIN_TO_CARE = 0.053
P_CIN_ESCALATE = 0.06
P_CIN_AFTER_CARE = 0.35  # of children returning home
BABY_CARE = 2.5  # how much likelier a baby's enquiry or plan leads to care
P_UASC = 0.065  # of first referrals aged 14+ (scaled by the CLA target)

# Care routes by age band at entry: <1, 1-4, 5-9, 10-15, 16-17.
_ROUTES = np.array(
    [  # RETURN, ADOPTION, SGO, CAO, LONG_STAY
        [0.20, 0.40, 0.20, 0.05, 0.15],
        [0.35, 0.22, 0.20, 0.05, 0.18],
        [0.45, 0.02, 0.13, 0.05, 0.35],
        [0.52, 0.00, 0.05, 0.03, 0.40],
        [0.50, 0.00, 0.00, 0.00, 0.50],
    ]
)


def age_band(age_days: np.ndarray) -> np.ndarray:
    years = age_days / 365.25
    return np.digitize(years, [1, 5, 10, 16]).astype(I64)


@dataclass
class Children:
    """Every child simulated in a chunk (index = position)."""

    dob: np.ndarray
    sex: np.ndarray
    disabled: np.ndarray
    uasc: np.ndarray
    short_breaks: np.ndarray
    #: The 18th birthday of each child (computed once: calendar arithmetic is not free).
    bday18: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=I64))

    def __post_init__(self) -> None:
        if len(self.bday18) != len(self.dob):
            self.bday18 = u.add_years(self.dob, 18)

    def __len__(self) -> int:
        return len(self.dob)

    def extend(self, other: Children) -> np.ndarray:
        """Append ``other``; return the new children's indices."""
        first = len(self)
        for name in ("dob", "sex", "disabled", "uasc", "short_breaks", "bday18"):
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))
        return np.arange(first, len(self), dtype=I64)


@dataclass
class Ctx:
    """Everything a chunk's generators share."""

    rng: np.random.Generator
    profile: SynthProfile
    population: int
    first: date  # first day of the window
    as_at: date  # last day of the window (the extract date)
    window: tuple[date, date] = field(init=False)

    def __post_init__(self) -> None:
        self.window = (self.first, self.as_at)

    @property
    def first_day(self) -> int:
        return u.day(self.first)

    @property
    def as_at_day(self) -> int:
        return u.day(self.as_at)

    @property
    def out_start(self) -> int:
        """First day written out: a year before the window, for look-backs."""
        return self.first_day - 365

    @property
    def sim_start(self) -> int:
        return int(u.add_years(np.array([self.first_day]), -18)[0])

    def p(self, name: str, days: np.ndarray) -> np.ndarray:
        return self.profile.value(name, days, self.window)

    def chance(self, p: np.ndarray | float, size: int) -> np.ndarray:
        return self.rng.random(size) < p


_O = object
#: The columns (and NumPy dtypes) of each kind of skeleton record.
RECORD_COLUMNS: dict[str, dict[str, type]] = {
    "episodes": {
        "episode": I64,
        "child": I64,
        "referral": I64,
        "closure": I64,
        "reason": _O,
        "nfa": bool,
        "first": bool,
    },
    "assessments": {
        "episode": I64,
        "child": I64,
        "start": I64,
        "authorised": I64,
        "outcome": _O,
        "seen": bool,
    },
    "section47": {
        "episode": I64,
        "child": I64,
        "strategy": I64,
        "start": I64,
        "end": I64,
        "icpc": bool,
        "conference": I64,
        "plan": bool,
    },
    "cp_plans": {
        "episode": I64,
        "child": I64,
        "plan": I64,
        "start": I64,
        "end": I64,
        "initial": _O,
        "latest": _O,
    },
    "cp_reviews": {"episode": I64, "plan": I64, "review": I64},
    "cin_plans": {"episode": I64, "child": I64, "start": I64, "end": I64},
    "care": {"episode": I64, "child": I64, "start": I64, "end": I64, "route": I64, "reason": _O},
    "phases": {"episode": I64, "child": I64, "service": _O, "start": I64, "end": I64},
    "early_help": {"child": I64, "start": I64, "source": _O},
}


@dataclass
class Records:
    """Column arrays of one kind of record, appended step by step."""

    kind: str
    cols: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **columns: np.ndarray) -> None:
        expected = RECORD_COLUMNS[self.kind]
        if set(columns) != set(expected):
            raise ValueError(f"{self.kind} records need {sorted(expected)}, got {sorted(columns)}")
        for k, v in columns.items():
            self.cols.setdefault(k, []).append(np.asarray(v, dtype=expected[k]))

    def get(self) -> dict[str, np.ndarray]:
        return {
            k: np.concatenate(self.cols[k]) if k in self.cols else np.zeros(0, dtype=t)
            for k, t in RECORD_COLUMNS[self.kind].items()
        }


@dataclass
class Skeleton:
    children: Children
    episodes: dict[str, np.ndarray]
    assessments: dict[str, np.ndarray]
    section47: dict[str, np.ndarray]
    cp_plans: dict[str, np.ndarray]
    cp_reviews: dict[str, np.ndarray]
    cin_plans: dict[str, np.ndarray]
    care: dict[str, np.ndarray]
    phases: dict[str, np.ndarray]
    early_help: dict[str, np.ndarray]


def _k(value: float, base: float) -> float:
    return value / base


def new_children(ctx: Ctx) -> tuple[Children, np.ndarray]:
    """Children arriving at the front door for the first time, with their first referral day."""
    rng, prof = ctx.rng, ctx.profile
    months = u.month_starts(u.to_date(ctx.sim_start), ctx.as_at)
    chain_length = 1.0 / (1.0 - 0.9 * prof.rereferral_chance)
    rate = ctx.population * prof.referrals_per_10k / 10_000 / 12 / chain_length
    counts = rng.poisson(rate * ctx.p("demand", months))
    n = int(counts.sum())
    month_of, _ = u.segments(counts)
    ref = months[month_of] + u.uniform_int(rng, 0, 27, n)
    ref = np.clip(ref, ctx.sim_start, ctx.as_at_day)
    years = rng.choice(18, size=n, p=_FIRST_AGE / _FIRST_AGE.sum())
    age_days = np.floor(years * 365.25 + rng.random(n) * 364).astype(I64)
    dob = ref - age_days
    # Some babies are referred before they are born; they stay unborn in the extract only
    # if still unborn on the extract date, otherwise the referral follows the birth.
    prebirth = (years == 0) & ctx.chance(0.15, n)
    expected = ref + u.uniform_int(rng, 20, 120, n)
    still_unborn = prebirth & (expected > ctx.as_at_day)
    dob = np.where(prebirth, expected, dob)
    ref = np.where(prebirth & ~still_unborn, dob + u.uniform_int(rng, 0, 20, n), ref)
    keep = ref <= ctx.as_at_day
    dob, ref, years = dob[keep], ref[keep], years[keep]
    n = len(dob)
    disabled = ctx.chance(0.07, n)
    uasc = (years >= 14) & ctx.chance(P_UASC * _k(prof.cla_per_10k, 160.0), n)
    sex = u.choose(rng, ["M", "F", "U"], [0.51, 0.48, 0.01], n)
    sex = np.where(uasc, np.where(ctx.chance(0.92, n), "M", "F"), sex)
    short_breaks = disabled & (years >= 2) & (years <= 14) & ctx.chance(0.45, n)
    kids = Children(dob=dob, sex=sex, disabled=disabled, uasc=uasc, short_breaks=short_breaks)
    return kids, ref


class _Journey:
    """The phase machine for one batch of episodes (every child's k-th referral)."""

    def __init__(self, ctx: Ctx, children: Children, out: dict[str, Records]) -> None:
        self.ctx = ctx
        self.kids = children
        self.out = out
        self.bday18_all = children.bday18
        self._cp_base = 0
        #: Child protection plans each child has had so far (repeat concerns recur).
        self.cp_count = np.zeros(len(children), dtype=I64)

    def run(
        self, child: np.ndarray, ref: np.ndarray, first_episode: np.ndarray, episode_ids: np.ndarray
    ) -> np.ndarray:
        """Simulate one episode for each child; return each episode's closure day."""
        n = len(child)
        self.child = child
        self.ep = episode_ids
        self.bday18 = self.bday18_all[child]
        self.dob = self.kids.dob[child]
        self.floor = ref.copy()
        self.closure = np.full(n, u.NO_DAY, dtype=I64)
        self.close_reason = np.full(n, "RC7", dtype=object)
        self.nfa = np.zeros(n, dtype=bool)
        phase = np.full(n, ASSESS, dtype=I64)
        start = ref.copy()
        for _step in range(14):
            nxt = np.full(n, DONE, dtype=I64)
            nxt_t = start.copy()
            for code, handler in (
                (ASSESS, self._assess),
                (S47, self._s47),
                (CP, self._cp),
                (CIN, self._cin),
                (CLA, self._cla),
                (CLOSE, self._close),
            ):
                ix = np.flatnonzero(phase == code)
                if len(ix) == 0:
                    continue
                if code == CLA:
                    # An unborn baby is looked after from birth (or a day or two after).
                    born = self.dob[ix] + u.uniform_int(self.ctx.rng, 0, 3, len(ix))
                    start[ix] = np.maximum(start[ix], born)
                p, t = handler(ix, start[ix])
                # No service after the 18th birthday: close on it.
                over = (p != DONE) & (t >= self.bday18[ix])
                p = np.where(over & (p != CLOSE), CLOSE, p)
                t = np.where(over, self.bday18[ix], t)
                self.close_reason[ix[over & (code != CLOSE)]] = np.where(
                    self.kids.disabled[child[ix[over & (code != CLOSE)]]], "RC6", "RC7"
                )
                if code != CLOSE:
                    svc = PHASE_SERVICE[code]
                    self.out["phases"].add(
                        episode=self.ep[ix],
                        child=child[ix],
                        service=np.full(len(ix), svc, dtype=object),
                        start=start[ix],
                        end=t,
                    )
                nxt[ix] = p
                nxt_t[ix] = t
            phase, start = nxt, nxt_t
            if (phase == DONE).all():
                break
        # Anything still open after the last step closes where it stands.
        still = phase != DONE
        if still.any():
            self.closure[still] = np.minimum(
                np.maximum(start[still], self.floor[still]), self.bday18[still]
            )
        self.out["episodes"].add(
            episode=self.ep,
            child=child,
            referral=ref,
            closure=self.closure,
            reason=self.close_reason,
            nfa=self.nfa,
            first=first_episode,
        )
        return self.closure

    # ------------------------------------------------------------------ phases
    def _assess(self, ix: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ctx, rng = self.ctx, self.ctx.rng
        n = len(ix)
        child = self.child[ix]
        sb = self.kids.short_breaks[child]
        uasc = self.kids.uasc[child]
        nfa = ctx.chance(P_REFERRAL_NFA, n) & ~sb & ~uasc
        self.nfa[ix] = nfa
        nxt = np.full(n, CLOSE, dtype=I64)
        nxt_t = t + u.uniform_int(rng, 0, 2, n)
        self.close_reason[ix[nfa]] = "RC8"
        a = np.flatnonzero(~nfa)
        if len(a) == 0:
            return nxt, nxt_t
        m = len(a)
        a_start = u.add_working_days(t[a], rng.choice(3, size=m, p=[0.55, 0.3, 0.15]))
        on_time = ctx.chance(ctx.p("assessment_on_time", a_start), m)
        wd = np.where(
            on_time,
            np.round(rng.triangular(4, 33, 45, m)),
            46 + np.minimum(np.round(rng.exponential(14, m)), 90),
        ).astype(I64)
        # Nothing continues past the 18th birthday: an assessment under way is concluded.
        eighteen = self.bday18[ix[a]]
        a_start = np.minimum(a_start, eighteen)
        authorised = np.minimum(u.add_working_days(a_start, wd), eighteen)
        r = rng.random(m)
        cuts = np.cumsum([P_S47, P_CIN_AFTER_ASSESSMENT, P_EH_AFTER_ASSESSMENT])
        outcome_idx = np.digitize(r, cuts)  # 0 s47, 1 cin, 2 early help, 3 nfa
        outcome_idx = np.where(sb[a] | uasc[a], 1, outcome_idx)
        outcome = np.array(["s47", "cin_plan", "early_help", "nfa"], dtype=object)[outcome_idx]
        seen = ctx.chance(0.96, m)
        self.out["assessments"].add(
            episode=self.ep[ix[a]],
            child=child[a],
            start=a_start,
            authorised=authorised,
            outcome=outcome,
            seen=seen,
        )
        self.floor[ix[a]] = np.maximum(self.floor[ix[a]], authorised)
        strategy = np.minimum(u.add_working_days(a_start, u.uniform_int(rng, 0, 6, m)), authorised)
        close_t = authorised + u.uniform_int(rng, 0, 10, m)
        sub_next = np.select([outcome_idx == 0, outcome_idx == 1], [S47, CIN], CLOSE)
        sub_t = np.select([outcome_idx == 0, outcome_idx == 1], [strategy, authorised], close_t)
        # Unaccompanied children are accommodated within days of the referral.
        sub_next = np.where(uasc[a], CLA, sub_next)
        sub_t = np.where(uasc[a], a_start + u.uniform_int(rng, 0, 5, m), sub_t)
        reason = np.where(outcome_idx == 2, "RC9", "RC8")
        closing = sub_next == CLOSE
        self.close_reason[ix[a][closing]] = reason[closing]
        eh = outcome_idx == 2
        self.out["early_help"].add(
            child=child[a][eh],
            start=close_t[eh] + u.uniform_int(rng, 0, 10, int(eh.sum())),
            source=np.full(int(eh.sum()), "assessment", dtype=object),
        )
        nxt[a] = sub_next
        nxt_t[a] = sub_t
        return nxt, nxt_t

    def _s47(self, ix: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ctx, rng, prof = self.ctx, self.ctx.rng, self.ctx.profile
        n = len(ix)
        child = self.child[ix]
        eighteen = self.bday18[ix]
        s_start = np.minimum(np.where(ctx.chance(0.8, n), t, u.add_working_days(t, 1)), eighteen)
        s_end = np.minimum(u.add_working_days(s_start, u.uniform_int(rng, 5, 15, n)), eighteen)
        p_icpc = min(0.95, P_ICPC * _k(prof.cp_per_10k, 95.0))
        before = self.cp_count[self.child[ix]] > 0
        icpc = ctx.chance(np.where(before, P_ICPC_REPEAT, p_icpc), n)
        on_time = ctx.chance(ctx.p("icpc_on_time", t), n)
        wd = np.where(
            on_time, u.uniform_int(rng, 7, 15, n), 16 + np.minimum(rng.geometric(0.12, n), 40)
        )
        conf = u.add_working_days(t, wd)
        icpc &= conf < eighteen
        conf = np.where(icpc, conf, u.NO_DAY)
        plan = icpc & ctx.chance(P_PLAN, n)
        k_cla = _k(prof.cla_per_10k, 160.0)
        # Babies are far more often removed at or soon after birth.
        baby = (t - self.dob[ix]) < 365
        p_emergency = min(0.9, P_EMERGENCY_CARE * k_cla / (1 - p_icpc * P_PLAN))
        emergency = ~plan & ctx.chance(
            np.where(baby, min(0.9, BABY_CARE * p_emergency), p_emergency), n
        )
        cin = ~plan & ~emergency & ctx.chance(P_CIN_AFTER_S47, n)
        self.out["section47"].add(
            episode=self.ep[ix],
            child=child,
            strategy=t,
            start=s_start,
            end=s_end,
            icpc=icpc,
            conference=conf,
            plan=plan,
        )
        last = np.maximum(np.maximum(s_end, np.where(icpc, conf, s_end)), self.floor[ix])
        self.floor[ix] = np.maximum(self.floor[ix], np.maximum(s_end, np.where(icpc, conf, s_end)))
        care_t = s_start + u.uniform_int(rng, 0, 7, n)
        nxt = np.select([plan, emergency, cin], [CP, CLA, CIN], CLOSE)
        nxt_t = np.select(
            [plan, emergency, cin], [conf, care_t, last], last + u.uniform_int(rng, 0, 10, n)
        )
        self.close_reason[ix[nxt == CLOSE]] = "RC7"
        return nxt, nxt_t

    def _cp(self, ix: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ctx, rng = self.ctx, self.ctx.rng
        n = len(ix)
        child = self.child[ix]
        target = t + u.lognormal_days(rng, 228, 0.62, n)
        prof = self.ctx.profile
        # The share of plans ending in care follows the care target relative to the CP
        # target: plans already scale with the CP target, so care entries through a plan
        # scale with the care target alone (not with both).
        p_care = min(
            0.6, P_CP_TO_CARE * _k(prof.cla_per_10k, 160.0) / _k(prof.cp_per_10k, 95.0)
        )
        under_two = (t - self.dob[ix]) < 730
        p_care_a = np.where(under_two, min(0.9, BABY_CARE * p_care), p_care)
        care = ctx.chance(p_care_a, n)
        step_down = ~care & ctx.chance(np.minimum(1.0, P_CP_STEP_DOWN / (1 - p_care_a)), n)
        care_t = t + np.maximum(14, np.round((target - t) * rng.uniform(0.15, 0.9, n))).astype(I64)
        # Review conferences: the first within 3 months, then at most 6-monthly; the plan
        # ends at the first review on or after its intended length (or when care starts).
        prev = t.copy()
        end = np.full(n, u.NO_DAY, dtype=I64)
        open_ = np.ones(n, dtype=bool)
        plan_of = np.arange(n)
        for k in range(40):
            live = np.flatnonzero(open_)
            if len(live) == 0:
                break
            due = u.add_months(prev[live], 3 if k == 0 else 6)
            on_time = ctx.chance(ctx.p("cp_review_on_time", due), len(live))
            early = u.uniform_int(rng, 0, 25 if k == 0 else 40, len(live))
            late = 1 + np.minimum(rng.geometric(0.06, len(live)), 75)
            review = np.where(on_time, np.maximum(due - early, prev[live] + 14), due + late)
            stop_care = care[live] & (review >= care_t[live])
            keep = ~stop_care
            self.out["cp_reviews"].add(
                episode=self.ep[ix[live[keep]]],
                plan=plan_of[live[keep]] + self._cp_base,
                review=review[keep],
            )
            ends_here = keep & (review >= target[live])
            end[live[ends_here]] = review[ends_here]
            end[live[stop_care]] = care_t[live[stop_care]]
            open_[live[ends_here | stop_care]] = False
            prev[live] = review
        end = np.where(open_, prev, end)
        end = np.minimum(end, self.bday18[ix])
        cat = u.choose(
            rng, ["NEG", "EMO", "PHY", "SAB", "MUL"], [0.50, 0.34, 0.07, 0.045, 0.045], n
        )
        changed = ctx.chance(0.1, n)
        latest = np.where(
            changed,
            u.choose(rng, ["NEG", "EMO", "PHY", "SAB", "MUL"], [0.4, 0.3, 0.1, 0.05, 0.15], n),
            cat,
        )
        self.out["cp_plans"].add(
            episode=self.ep[ix],
            child=child,
            plan=np.arange(n) + self._cp_base,
            start=t,
            end=end,
            initial=cat,
            latest=latest,
        )
        self._cp_base += n
        np.add.at(self.cp_count, child, 1)
        self.floor[ix] = np.maximum(self.floor[ix], end)
        nxt = np.select([care, step_down], [CLA, CIN], CLOSE)
        nxt_t = np.where(nxt == CLOSE, end + u.uniform_int(rng, 0, 14, n), end)
        self.close_reason[ix[nxt == CLOSE]] = "RC7"
        return nxt, nxt_t

    def _cin(self, ix: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ctx, rng, prof = self.ctx, self.ctx.rng, self.ctx.profile
        n = len(ix)
        child = self.child[ix]
        sb = self.kids.short_breaks[child]
        median = 165 * _k(prof.cin_per_10k, 245.0)
        dur = np.where(
            sb, u.lognormal_days(rng, 900, 0.5, n), u.lognormal_days(rng, median, 0.6, n)
        )
        end = np.minimum(t + dur, self.bday18[ix])
        k_cla = _k(prof.cla_per_10k, 160.0)
        care = ~sb & ctx.chance(min(0.5, P_CIN_TO_CARE * k_cla), n)
        escalate = ~sb & ~care & ctx.chance(P_CIN_ESCALATE, n)
        self.out["cin_plans"].add(episode=self.ep[ix], child=child, start=t, end=end)
        self.floor[ix] = np.maximum(self.floor[ix], end)
        nxt = np.select([care, escalate], [CLA, S47], CLOSE)
        nxt_t = np.where(nxt == CLOSE, end + u.uniform_int(rng, 0, 21, n), end)
        self.close_reason[ix[nxt == CLOSE]] = "RC7"
        return nxt, nxt_t

    def _cla(self, ix: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ctx, rng = self.ctx, self.ctx.rng
        n = len(ix)
        child = self.child[ix]
        age = t - self.dob[ix]
        band = age_band(age)
        cum = np.cumsum(_ROUTES, axis=1)[band]
        route = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), 4).astype(I64)
        uasc = self.kids.uasc[child]
        route = np.where(uasc, LONG_STAY, route)
        dur = np.select(
            [route == RETURN, route == ADOPTION, route == SGO, route == CAO],
            [
                u.lognormal_days(rng, 120, 1.05, n),
                420 + u.lognormal_days(rng, 230, 0.45, n),
                280 + u.lognormal_days(rng, 200, 0.5, n),
                240 + u.lognormal_days(rng, 150, 0.5, n),
            ],
            self.bday18[ix] - t,
        )
        # A few long-stay young people leave care at 16 or 17.
        early_leave = (route == LONG_STAY) & ctx.chance(0.12, n)
        sixteen = u.add_years(self.dob[ix], 16)
        leave_at = np.maximum(t + 30, sixteen + u.uniform_int(rng, 0, 700, n))
        dur = np.where(early_leave, leave_at - t, dur)
        end = np.minimum(t + dur, self.bday18[ix])
        at18 = end >= self.bday18[ix]
        reason = np.select(
            [route == RETURN, route == ADOPTION, route == SGO, route == CAO],
            [
                u.choose(rng, ["E4A", "E4B", "E13", "E8", "E3"], [0.74, 0.1, 0.1, 0.03, 0.03], n),
                u.choose(rng, ["E11", "E12"], [0.55, 0.45], n),
                u.choose(rng, ["E45", "E46", "E47", "E48"], [0.36, 0.1, 0.44, 0.1], n),
                np.full(n, "E41", dtype=object),
            ],
            u.choose(rng, ["E5", "E6", "E13", "E8", "E9"], [0.55, 0.12, 0.2, 0.1, 0.03], n),
        )
        reason = np.where(
            at18,
            u.choose(rng, ["E17", "E5", "E6", "E13", "E8"], [0.25, 0.42, 0.1, 0.15, 0.08], n),
            reason,
        )
        self.out["care"].add(
            episode=self.ep[ix],
            child=child,
            start=t,
            end=end,
            route=route,
            reason=reason,
        )
        self.floor[ix] = np.maximum(self.floor[ix], end)
        back_home = (route == RETURN) & ~at18 & ctx.chance(P_CIN_AFTER_CARE, n)
        nxt = np.where(back_home, CIN, CLOSE)
        nxt_t = np.where(back_home, end, end + u.uniform_int(rng, 0, 10, n))
        close = np.select(
            [route == ADOPTION, route == SGO, route == CAO, at18],
            ["RC1", "RC4", "RC3", "RC7"],
            "RC7",
        )
        self.close_reason[ix] = close
        return nxt, nxt_t

    def _close(self, ix: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = np.minimum(np.maximum(t, self.floor[ix]), self.bday18[ix])
        self.closure[ix] = c
        return np.full(len(ix), DONE, dtype=I64), c


def simulate(ctx: Ctx) -> Skeleton:
    """Every child's referrals and what followed them, from 18 years before the window."""
    rng, prof = ctx.rng, ctx.profile
    kids, first_ref = new_children(ctx)
    out = {k: Records(k) for k in RECORD_COLUMNS}
    journey = _Journey(ctx, kids, out)
    child = np.arange(len(kids), dtype=I64)
    ref = first_ref
    first = np.ones(len(child), dtype=bool)
    next_episode = 0
    for _k_ep in range(30):
        if len(child) == 0:
            break
        ep_ids = np.arange(next_episode, next_episode + len(child), dtype=I64)
        next_episode += len(child)
        closure = journey.run(child, ref, first, ep_ids)
        # Another referral: mostly soon after the last closed, some years later.
        m = len(child)
        p_again = np.where(
            journey.cp_count[child] > 0,
            max(prof.rereferral_chance, P_REREFERRAL_AFTER_CP),
            prof.rereferral_chance,
        )
        again = ctx.chance(p_again, m) & ~kids.short_breaks[child]
        soon = ctx.chance(0.75, m)
        gap = np.where(
            soon, u.uniform_int(rng, 7, 200, m), 240 + u.lognormal_days(rng, 420, 0.7, m)
        )
        nxt = closure + gap
        ok = again & (nxt < kids.bday18[child]) & (nxt <= ctx.as_at_day) & (closure != u.NO_DAY)
        child, ref = child[ok], nxt[ok]
        first = np.zeros(len(child), dtype=bool)
    return Skeleton(
        children=kids,
        episodes=out["episodes"].get(),
        assessments=out["assessments"].get(),
        section47=out["section47"].get(),
        cp_plans=out["cp_plans"].get(),
        cp_reviews=out["cp_reviews"].get(),
        cin_plans=out["cin_plans"].get(),
        care=out["care"].get(),
        phases=out["phases"].get(),
        early_help=out["early_help"].get(),
    )

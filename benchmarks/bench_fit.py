"""Speed of the default fit against Epoch AI's protocol, and of 1,000 bootstrap refits.

Run:  python benchmarks/bench_fit.py            (full 4,500-start baseline: about 15 minutes here)
      python benchmarks/bench_fit.py --baseline-starts 450   (every 10th start; time scaled up x10)

Data: Epoch AI's reconstruction of the Chinchilla runs (../shared/data/chinchilla_epoch, or the folder in
SCALINGLAWS_DATA_DIR), minus the 5 highest-loss points, as in their notebook. The baseline is their
"replicate Hoffmann exactly" recipe: scipy L-BFGS-B with numerical gradients on the sum of Huber(1e-3)
log-space residuals of the log-sum-exp parameterisation, from Hoffmann's 4,500-point initial grid.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

import numpy as np
import polars as pl
from scipy.optimize import minimize
from scipy.special import huber, logsumexp

import scalinglaws as sl

DELTA = 1e-3


def epoch_points() -> pl.DataFrame:
    root = Path(os.environ.get("SCALINGLAWS_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
    frame = pl.read_csv(root / "chinchilla_epoch" / "chinchilla_approach3.csv")
    fifth_largest = sorted(frame["loss"].to_list())[-5]
    return frame.filter(pl.col("loss") < fifth_largest)


def hoffmann_grid() -> list[tuple[float, ...]]:
    """(a, b, e, alpha, beta) starts: 6 x 6 x 5 x 5 x 5 = 4,500."""
    return list(
        itertools.product(
            np.arange(0, 30, 5), np.arange(0, 30, 5), np.arange(-1, 1.5, 0.5),
            np.arange(0, 2.5, 0.5), np.arange(0, 2.5, 0.5),
        )
    )


def epoch_protocol(frame: pl.DataFrame, stride: int) -> tuple[float, float, np.ndarray, int]:
    log_n, log_d = np.log(frame["N"].to_numpy()), np.log(frame["D"].to_numpy())
    log_loss = np.log(frame["loss"].to_numpy())

    def objective(p: np.ndarray) -> float:
        a, b, e, alpha, beta = p
        predicted = logsumexp([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)], axis=0)
        return float(np.sum(huber(DELTA, predicted - log_loss)))

    starts = hoffmann_grid()[::stride]
    begin = time.perf_counter()
    best = min((minimize(objective, s, method="L-BFGS-B") for s in starts), key=lambda r: r.fun)
    elapsed = time.perf_counter() - begin
    return elapsed * stride, float(best.fun), best.x, len(starts)


def minimum_work(frame: pl.DataFrame, per_axis: int = 32) -> tuple[float, np.ndarray]:
    """The same search done with the least work in plain NumPy: a ``per_axis`` x ``per_axis`` grid over
    (alpha, beta) in the law's start ranges; in each cell E, A, B from one weighted 3x3 solve of the
    relative errors and two reweighted (Huber, log space) Gauss-Newton passes; then one polish of all
    five parameters from the best cell (scipy's trust-region least squares with the Huber loss and the
    exact Jacobian). Returns the objective and (E, A, alpha, B, beta)."""
    from scipy.optimize import least_squares

    law = sl.get_law("chinchilla")
    n, d, y = (frame[c].to_numpy().astype(float) for c in ("N", "D", "loss"))
    log_y = np.log(y)
    alphas = np.linspace(*law.spec("alpha").init_range, per_axis)
    betas = np.linspace(*law.spec("beta").init_range, per_axis)
    a, b = (m.ravel() for m in np.meshgrid(alphas, betas, indexing="ij"))
    design = np.stack([np.ones((a.size, n.size)), n[None] ** -a[:, None], d[None] ** -b[:, None]], axis=-1)

    def weighted_solve(x: np.ndarray, target: np.ndarray, w: np.ndarray) -> np.ndarray:
        xt = (x * w[..., None]).transpose(0, 2, 1)
        return np.linalg.solve(xt @ x + 1e-12 * np.eye(3), (xt @ target[..., None]))[..., 0]

    c = weighted_solve(design / y[None, :, None], np.ones((a.size, n.size)), np.ones((a.size, n.size)))
    for _ in range(2):
        prediction = np.maximum((design @ c[..., None])[..., 0], 1e-300)
        r = np.log(prediction) - log_y
        jac = design / prediction[..., None]
        w = np.where(np.abs(r) <= DELTA, 1.0, DELTA / np.maximum(np.abs(r), DELTA))
        c = weighted_solve(jac, (jac @ c[..., None])[..., 0] - r, w)
    prediction = (design @ c[..., None])[..., 0]
    with np.errstate(invalid="ignore"):
        r = np.where(prediction > 0, np.log(np.where(prediction > 0, prediction, 1.0)), np.nan) - log_y
    values = np.where(np.isfinite(r).all(axis=1), huber(DELTA, r).sum(axis=1), np.inf)
    i = int(np.argmin(values))
    start = np.array([c[i, 0], c[i, 1], a[i], c[i, 2], b[i]])

    def residuals(p: np.ndarray) -> np.ndarray:
        e, aa, alpha, bb, beta = p
        return np.log(e + aa * n**-alpha + bb * d**-beta) - log_y

    def jacobian(p: np.ndarray) -> np.ndarray:
        e, aa, alpha, bb, beta = p
        f = e + aa * n**-alpha + bb * d**-beta
        return np.stack([np.ones_like(n), n**-alpha, -aa * np.log(n) * n**-alpha, d**-beta,
                         -bb * np.log(d) * d**-beta], axis=1) / f[:, None]

    fitted = least_squares(residuals, start, jac=jacobian, loss="huber", f_scale=DELTA, x_scale="jac",
                           ftol=1e-15, xtol=1e-15, gtol=1e-15, max_nfev=10_000)
    return float(np.sum(huber(DELTA, residuals(fitted.x)))), fitted.x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-starts", type=int, default=4500, help="run every k-th grid start")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--many-boot", type=int, default=10_000, help="a larger bootstrap, timed too")
    args = parser.parse_args()
    frame = epoch_points()

    begin = time.perf_counter()
    first = sl.fit(frame, "chinchilla", delta=DELTA)
    first_time = time.perf_counter() - begin
    times = []
    for _ in range(args.repeats):
        begin = time.perf_counter()
        result = sl.fit(frame, "chinchilla", delta=DELTA)
        times.append(time.perf_counter() - begin)
    assert result.params == first.params, "the fit must be deterministic"
    ours = min(times)

    # Interleaved with our fit round by round, so load on the machine hits both alike.
    reference_times, our_times, reference_16 = [], [], []
    for _ in range(args.repeats):
        begin = time.perf_counter()
        reference_objective, reference_x = minimum_work(frame)
        reference_times.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        sl.fit(frame, "chinchilla", delta=DELTA)
        our_times.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        reference_16_objective, _ = minimum_work(frame, per_axis=16)
        reference_16.append(time.perf_counter() - begin)
    ratios = np.array(our_times) / np.array(reference_times)

    begin = time.perf_counter()
    boot = sl.bootstrap(result, frame, n_boot=args.n_boot, seed=0)
    boot_time = time.perf_counter() - begin
    begin = time.perf_counter()
    many = sl.bootstrap(result, frame, n_boot=args.many_boot, seed=0)
    many_time = time.perf_counter() - begin

    stride = max(1, 4500 // args.baseline_starts)
    base_time, base_objective, base_x, n_run = epoch_protocol(frame, stride)
    a, b, e, alpha, beta = base_x
    scaled = "" if stride == 1 else f" (ran {n_run} starts, time x{stride})"

    print(f"data: {result.n_points} points (Epoch's Chinchilla reconstruction, 5 highest losses dropped)")
    print()
    print(f"{'method':<44} {'time [s]':>10} {'objective':>16} {'E':>8} {'A':>8} {'B':>8} {'alpha':>7} {'beta':>7}")
    p = result.params
    print(f"{'scalinglaws fit (default, best of ' + str(args.repeats) + ')':<44} {ours:>10.3f} {result.objective:>16.12f} "
          f"{p['E']:>8.4f} {p['A']:>8.2f} {p['B']:>8.1f} {p['alpha']:>7.4f} {p['beta']:>7.4f}")
    print(f"{'scalinglaws fit (first call, incl. compile)':<44} {first_time:>10.3f}")
    print(f"{'Epoch protocol: L-BFGS-B x 4,500 starts' + scaled:<44} {base_time:>10.1f} {base_objective:>16.12f} "
          f"{np.exp(e):>8.4f} {np.exp(a):>8.2f} {np.exp(b):>8.1f} {alpha:>7.4f} {beta:>7.4f}")
    print()
    print(f"speed-up: {base_time / ours:,.0f}x (first call: {base_time / first_time:,.0f}x); "
          f"objective difference (ours - baseline): {result.objective - base_objective:+.3e}")
    print()
    print(f"minimum-work reference (32x32 grid, 3x3 solves + 2 IRLS passes, one polish): "
          f"median {np.median(reference_times):.3f} s, objective {reference_objective:.13f}")
    print(f"  ours / reference (median over {args.repeats} interleaved rounds): {np.median(ratios):.2f} "
          f"(target <= 1.5); objective ours - reference: {result.objective - reference_objective:+.3e}")
    print(f"  16x16 reference: median {np.median(reference_16):.3f} s, objective {reference_16_objective:.13f}; "
          f"ours / it: {np.median(np.array(our_times) / np.array(reference_16)):.2f}")
    print(f"  reference E, A, alpha, B, beta: {', '.join(f'{v:.6g}' for v in reference_x)}")
    ci = boot.interval(0.95)
    print(f"bootstrap: {args.n_boot} refits in {boot_time:.2f} s, {boot.n_failed} failed; "
          f"95% alpha {ci['alpha'].lower:.4f}-{ci['alpha'].upper:.4f}, beta {ci['beta'].lower:.4f}-{ci['beta'].upper:.4f}")
    print(f"bootstrap: {args.many_boot} refits in {many_time:.2f} s ({1e3 * many_time / args.many_boot:.3f} ms "
          f"per draw = {many_time / args.many_boot / ours:.4f} single fits), {many.n_failed} failed")
    import os

    print(f"load average: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

"""The JAX backend's kernels (``backend="jax"``): the same algorithms as the NumPy kernels, jitted.

- :mod:`.arrays`: a problem's data as device arrays (padded to a few bucketed shapes, so a kernel is
  compiled once per law and bucket, not once per data set), the static description kernels are
  compiled for, and the float64 context every kernel runs in;
- :mod:`.kernels`: the objective and its derivatives (value, gradient, exact and Gauss-Newton Hessian)
  of one batch row, ``vmap``ped over the rows (starts, grid cells, resamples, groups);
- :mod:`.solver`: the batched Levenberg-Marquardt polish, a jitted loop of iterations over the rows,
  compacted onto the rows still running between loops.

The problem (:class:`~scalinglaws.fit._problem.Problem`) routes its objective and derivatives here, and
the solver (:class:`~scalinglaws.fit.solver.LevenbergMarquardt`) its solve, when the problem's backend
is ``"jax"``. Everything else in the engine is shared NumPy code: the gate, the start grid (scored by
the JAX objective; its linear parameters projected by NumPy), the variable-projection pre-polish
(:mod:`scalinglaws.fit.reduced`, on JAX derivatives), the grouped fits' arrowhead solve of shared
parameters, predictions and Jacobians (covariance, diagnostics), the status and the result.

JAX's float64 mode is switched on around each kernel call with the thread-local context manager
``jax.enable_x64(True)``, not with the global ``jax.config.update("jax_enable_x64", True)``: other code
in the process that uses JAX keeps its own setting.
"""

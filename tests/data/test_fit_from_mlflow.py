"""End to end: runs logged to a live MLflow server are imported, filtered and fitted."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.data import keep_final
from scalinglaws.data.adapters import read_mlflow

mlflow = pytest.importorskip("mlflow", reason="needs `pip install 'scalinglaws[mlflow]'`")
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

TRUTH = sl.testing.PLANTED["chinchilla"]


def test_fit_from_an_mlflow_experiment(mlflow_tracking_uri: str) -> None:
    client = MlflowClient(tracking_uri=mlflow_tracking_uri)
    name = f"ladder-{uuid.uuid4().hex[:8]}"
    experiment = client.create_experiment(name)
    law = sl.get_law("chinchilla")
    rng = np.random.default_rng(0)
    for n_params in np.geomspace(2e7, 1e9, 6):
        run = client.create_run(experiment, run_name=f"n{n_params:.3g}")
        # Five checkpoints per run; the final one (most tokens) is the one the law describes.
        tokens = n_params * np.geomspace(2, 80, 5)
        loss = law.predict(TRUTH, {"N": np.full(5, n_params), "D": tokens}) * np.exp(rng.normal(0, 0.003, 5))
        metrics = [Metric("val_loss", float(v), 0, step) for step, v in enumerate(loss)]
        metrics += [Metric("tokens", float(t), 0, step) for step, t in enumerate(tokens)]
        client.log_batch(run.info.run_id, metrics=metrics, params=[Param("n_params", repr(float(n_params)))])
        client.set_terminated(run.info.run_id)

    runs = read_mlflow(name, tracking_uri=mlflow_tracking_uri, columns={"val_loss": "loss", "tokens": "n_tokens"})
    assert runs.height == 30
    # Every checkpoint is a point of the law here (each is the end of a schedule in this synthetic
    # ladder), so fit all of them; then refit on the final checkpoints only, recording the filter.
    everything = sl.fit(runs, "chinchilla")
    finals, record = keep_final(runs)
    final_fit = sl.fit(finals, "chinchilla", provenance=[record])
    assert everything.status is sl.FitStatus.CONVERGED
    # 0.3% noise on 30 points spanning 1.7 decades in N: exponents within 3%, E within 1%.
    assert everything.params["alpha"] == pytest.approx(TRUTH["alpha"], rel=0.03)
    assert everything.params["beta"] == pytest.approx(TRUTH["beta"], rel=0.03)
    assert everything.params["E"] == pytest.approx(TRUTH["E"], rel=0.01)
    assert final_fit.n_points == 6
    assert final_fit.config.provenance == (record,)
    assert "final" in record

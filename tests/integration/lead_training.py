"""Training through the API as a job (issue 12 item 2): POST .../train answers 202 with the job's
Location; the job is polled until it ends. No deadline: a job always ends, succeeded or failed."""

import time

from contract import ok

POLL_S = 0.05


def start(api, segment="b2c", body=None):
    """POST .../train: (the job as answered, its Location)."""
    r = api.post(f"/v1/lead-scoring/models/{segment}/train", **({} if body is None else {"json": body}))
    job = ok(r, 202)
    assert r.headers["Location"] == f"/v1/lead-scoring/jobs/{job['id']}", r.headers
    assert job["segment"] == segment
    return job, r.headers["Location"]


def wait(api, location, until=("succeeded", "failed")):
    """Poll the job until its state is one of `until`; the job."""
    job = ok(api.get(location))
    while job["state"] not in until:
        assert job["state"] in ("queued", "running"), job
        time.sleep(POLL_S)
        job = ok(api.get(location))
    return job


def train_job(api, segment="b2c", body=None):
    """Start a training and wait for its end: the job."""
    _, location = start(api, segment, body)
    return wait(api, location)


def train(api, segment="b2c", body=None):
    """Start a training, wait for it to succeed: the segment's evaluation."""
    job = train_job(api, segment, body)
    assert job["state"] == "succeeded" and job["progress"] == 100 and job["error"] is None, job
    ev = ok(api.get(f"/v1/lead-scoring/models/{segment}/evaluation"))
    assert ev["trained_version"] == job["trained_version"]
    return ev

"""One fine-tuning run: ``train(TrainConfig) -> RunResult`` (accelerate's nlp_example style).

What the authors did, and we do too: AdamW (weight decay 0.0, eps 1e-8), a linear schedule with
warmup = ratio x total optimizer updates, gradient-norm clipping at 1.0, the seed fixing head
init and data order, and the dev score of the *final* model as the run's score.

Where we differ, on purpose:
- clipping happens once per optimizer update, on the accumulated gradient (the authors clipped
  after every micro-batch, which makes the result depend on the accumulation factor);
- an update is exactly one step on the mean loss of the whole effective batch: each micro-batch
  contributes sum(example losses) * world / n_effective (DDP then averages over the world), so
  the number of processes and the micro-batch size change float rounding only, and a smaller
  last batch is weighted by its real size.
The scheduler is stepped by us once per update and is *not* passed to accelerator.prepare: an
AcceleratedScheduler steps once per process when batches are not split (accelerate's known
pitfall), which would shorten warmup and decay with the number of GPUs.
"""
from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import replace

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .. import hardware
from . import batching, compiled, data, embedding_grad, evaluate, microbatch, models, tracking
from .device import environment, free_memory, make_accelerator
from .result import RunResult

CLIP_NORM = 1.0


def train(config) -> RunResult:
    """Train one run and return its result (also written to ``config.out``/metrics.json).

    Bad input raises UserError before any compute. A NaN/inf loss or gradient stops the run,
    which is then returned with ``diverged=True`` (no exception), so a sweep goes on. Its score is
    what the authors' loop (which had no NaN stop) would have reported for it: a model with NaN
    outputs predicts the first class under argmax, so the run scores that constant prediction.
    """
    config.validate()
    requested_micro, asked_attention = config.max_device_batch, config.attention
    config = replace(config, precision=hardware.resolve_precision(config.precision))
    config = replace(config, attention=hardware.resolve_attention(config.attention, config.precision),
                     compile=hardware.resolve_compile(config.compile))
    tf32 = hardware.apply_tf32(config.tf32)
    task, tokenizer, source = data.resolve(config.task, config.model, config.init)
    config = replace(config, attention=models.attention_for(task, source, asked_attention,
                                                            config.attention))  # DeBERTa: no sdpa
    epochs = config.epochs or task.epochs
    accelerator = make_accelerator(config.precision, tracking.trackers_for(config))
    train_ex = data.split(task, "train", tokenizer, config, config.train_limit)
    dev_ex = data.split(task, "dev", tokenizer, config, config.eval_limit)
    collate = batching.make_collator(tokenizer, task.kind, config.pad_to_multiple_of)

    model, transfer = models.build(task, source, config.seed, config.keep_head, config.dropout,
                                   config.attention)
    # torch's fused AdamW, on CPU too: one pass over each tensor instead of a dozen. Measured for
    # MiniLM's 22.7M parameters on 2 cores: 18 ms per update, against 85 ms for foreach and 104 ms
    # for the per-tensor loop (torch's CPU default). Same update rule; the Trainer uses it too.
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0, eps=1e-8,
                                  fused=True)
    per_epoch = batching.updates_per_epoch(len(train_ex), config.batch_size)
    total = epochs * per_epoch
    warmup = int(config.warmup_ratio * total)  # truncated, as the authors' scripts
    from transformers import get_linear_schedule_with_warmup

    scheduler = get_linear_schedule_with_warmup(optimizer, warmup, total)
    model, optimizer = accelerator.prepare(model, optimizer)
    track = tracking.start(accelerator, config)  # closed in `finally`, whatever happens
    reused = None
    try:
        if config.max_device_batch == "auto":
            config = replace(config, max_device_batch=microbatch.fit(
                model, train_ex, collate, config.batch_size, accelerator))
        # CPU, one process: the word embedding's gradient buffer is kept between updates instead
        # of a table-sized zero-fill per backward (same numbers; embedding_grad.py says why, when)
        reused = embedding_grad.attach(accelerator.unwrap_model(model), accelerator.device,
                                       accelerator.num_processes, compiled=config.compile == "on")
        trained = _run(config, task, accelerator, model, optimizer, scheduler, train_ex, dev_ex,
                       collate, epochs, track, reused)
        final = trained.pop("final")  # (predictions, logits) of the final model, None if diverged
        if trained["diverged"]:
            trained["score"] = evaluate.constant_prediction_score(task.metric, dev_ex.labels)
            record = evaluate.prediction_record(dev_ex, [[0] * len(dev_ex)], None, [config.seed])
        else:
            record = evaluate.prediction_record(dev_ex, [final[0]], [final[1]], [config.seed])
        baseline = evaluate.baseline(task, dev_ex.labels)
        checkpoint = None
        if config.save and not trained["diverged"]:
            accelerator.wait_for_everyone()
            if accelerator.is_main_process:
                accelerator.unwrap_model(model).save_pretrained(config.out)
                tokenizer.save_pretrained(config.out)
            checkpoint = str(config.out)
        result = RunResult(
            **trained, task=task.name, metric=task.metric, model=config.model, init=config.init,
            epochs=epochs, optimizer_steps_planned=total, warmup_steps=warmup,
            updates_per_epoch=per_epoch,
            micro_batches_per_update=math.ceil(math.ceil(config.batch_size / accelerator.num_processes)
                                               / config.max_device_batch),
            train_examples=len(train_ex), eval_examples=len(dev_ex),
            data_fingerprint={"train": train_ex.fingerprint, "dev": dev_ex.fingerprint},
            precision=config.precision, kernel=hardware.kernel_family(), tf32=tf32,
            attention=config.attention, compile=config.compile, batching=config.batching,
            max_device_batch_requested=requested_micro, **transfer,
            config=config.to_dict(), **environment(accelerator), baseline=baseline,
            degenerate=trained["diverged"] or trained["score"] <= baseline, checkpoint=checkpoint,
            predictions=record)
        if config.out and accelerator.is_main_process:
            evaluate.write_metrics(config.out, result.to_dict())
        return result
    finally:
        if reused is not None:
            reused.close()
        track.finish()
        accelerator.free_memory(model, optimizer)
        del model, optimizer, scheduler
        free_memory()


def _run(config, task, accelerator, model, optimizer, scheduler, train_ex, dev_ex, collate,
         epochs, track=tracking.OFF, reused=None) -> dict:
    """The epochs themselves -> the fields of RunResult that training measures."""
    from accelerate.utils import set_seed

    rank, world, device = accelerator.process_index, accelerator.num_processes, accelerator.device
    generator = torch.Generator().manual_seed(config.seed)  # the data order: seed only
    set_seed(config.seed)                                  # the dropout stream
    show = config.progress and accelerator.is_main_process
    steps, epochs_log = [], []
    step, tokens, padded, diverged_at = 0, 0, 0, None
    train_seconds = eval_seconds = cpu_seconds = 0.0
    score = final = None
    bar = tqdm(total=epochs * batching.updates_per_epoch(len(train_ex), config.batch_size),
               desc=f"train {task.name}", disable=not show, leave=False)
    # compile: on -> the forward that training calls is compiled (once per process, reused by
    # later runs of the architecture); eval and the weights stay with the eager module
    forward, graphs_before = model, None
    if config.compile == "on":
        forward, graphs_before = compiled.compile_for_training(model), compiled.graphs_compiled()
    model.train()
    for epoch in range(epochs):
        start, cpu_start = time.perf_counter(), time.process_time()
        plan = batching.epoch_batches(train_ex.lengths, config.batch_size, generator, config.batching)
        epoch_loss, window = [], []
        for i, batch in enumerate(plan):
            micro = batching.shard(batch, rank, world, config.max_device_batch)
            local, n_tok, n_pad = _accumulate(model, forward, micro, batch, train_ex, collate,
                                              accelerator, world)
            grad_norm = accelerator.clip_grad_norm_(model.parameters(), CLIP_NORM)
            loss = (accelerator.reduce(local, "sum") if world > 1 else local).item() / len(batch)
            step += 1
            tokens, padded = tokens + n_tok, padded + n_pad
            if not (math.isfinite(loss) and math.isfinite(float(grad_norm))):
                diverged_at = step  # stop before the update: nothing NaN reaches the weights
                optimizer.zero_grad(set_to_none=True)
                break
            lr = scheduler.get_last_lr()[0]  # the rate this update uses
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            if reused is not None:
                reused.after_update()
            epoch_loss.append(loss)
            window.append(loss)
            if step % config.log_every == 0 or i == len(plan) - 1:
                steps.append({"step": step, "epoch": epoch + (i + 1) / len(plan),
                              "loss": sum(window) / len(window), "lr": lr,
                              "grad_norm": float(grad_norm)})
                track.log({"train/loss": steps[-1]["loss"], "train/lr": lr}, step)
                window = []
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        train_seconds += time.perf_counter() - start
        cpu_seconds += time.process_time() - cpu_start  # robust to other load on a shared machine
        if diverged_at is not None:
            epochs_log.append({"epoch": epoch + 1, "loss": _mean(epoch_loss), "score": None})
            break
        last = epoch == epochs - 1
        epoch_score = None
        if last or config.eval_each_epoch:
            start = time.perf_counter()
            preds, logits = evaluate.predict_scored(model, dev_ex, collate, config.max_device_batch,
                                                    accelerator, show)
            epoch_score = evaluate.score(task.metric, preds, dev_ex.labels)
            eval_seconds += time.perf_counter() - start
            track.log({f"dev/{task.metric}": epoch_score}, step)
        if last:
            score = epoch_score  # the final model's score, never the best epoch's
            final = (preds, logits)
        epochs_log.append({"epoch": epoch + 1, "loss": _mean(epoch_loss), "score": epoch_score})
    bar.close()
    if world > 1:
        counts = accelerator.reduce(torch.tensor([tokens, padded], device=device), "sum").tolist()
        tokens, padded = int(counts[0]), int(counts[1])
    return {
        "score": score, "final": final, "diverged": diverged_at is not None, "diverged_at_step": diverged_at,
        "optimizer_steps": step - (diverged_at is not None), "per_epoch": epochs_log,
        "steps": steps, "train_seconds": train_seconds, "train_cpu_seconds": cpu_seconds,
        "eval_seconds": eval_seconds,
        "train_tokens": tokens, "padded_tokens": padded,
        "padding_efficiency": tokens / padded if padded else None,
        "train_tokens_per_second": tokens / train_seconds if train_seconds else None,
        # graphs this run compiled: 0 when it reused an earlier run's (None: not compiled)
        "compiled_graphs": None if graphs_before is None else compiled.graphs_compiled() - graphs_before,
    }


def _accumulate(model, forward, micro, batch, examples, collate, accelerator, world):
    """Forward/backward over this process's micro-batches of one effective batch.

    Returns (sum of this process's example losses, non-padding tokens, padded tokens).
    Gradient all-reduce runs only on the last micro-batch (no_sync before it).
    """
    total = torch.zeros((), device=accelerator.device)
    n_tok = n_pad = 0
    for k, idx in enumerate(micro):
        weight = 1.0
        if not idx:  # this rank has no example left in a small last batch: a zero-weight placeholder
            idx, weight = batch[:1], 0.0
        inputs = collate([examples.rows[j] for j in idx])
        labels = inputs.pop("labels").to(accelerator.device)
        inputs = {key: v.to(accelerator.device) for key, v in inputs.items()}
        sync = k == len(micro) - 1
        with nullcontext() if sync else accelerator.no_sync(model):
            logits = forward(**inputs).logits
            summed = F.cross_entropy(logits.float(), labels, reduction="sum")
            accelerator.backward(summed * (weight * world / len(batch)))
        total += summed.detach() * weight
        if weight:
            n_tok += sum(examples.tokens[j] for j in idx)
            n_pad += inputs["attention_mask"].numel()
    return total, n_tok, n_pad


def _mean(xs):
    return sum(xs) / len(xs) if xs else None

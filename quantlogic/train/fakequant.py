"""The fake-quantized model run in torch (float32), to measure agreement with the IntNetwork."""
import numpy as np


def fake_quant_forward(fq, X):
    """Return (hidden codes per layer, predictions) of FakeQuant fq on float rows X."""
    import torch

    f32 = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
    X = f32(X)
    codes = torch.stack([torch.bucketize(X[:, i].contiguous(), f32(fq.thresholds[i]), right=True)
                         for i in range(X.shape[1])], dim=1)
    values = f32(fq.input_values)
    h = torch.gather(values.T, 0, codes)
    M = 2 ** fq.abits - 1
    hidden = []
    for layer in fq.hidden:
        z = torch.nn.functional.linear(h, f32(layer.W), f32(layer.b))
        f = torch.clamp(layer.curve.torch(torch, z), min=layer.clip_lo, max=layer.clip_hi)
        lo, scale = f32(layer.act_lo), f32(layer.act_scale)
        code = torch.clamp(torch.round((f - lo) / scale), 0, M)
        if layer.pool is not None:
            window = torch.as_tensor(layer.pool)
            code = code[:, window].amax(dim=2)
            lo, scale = lo[window[:, 0]], scale[window[:, 0]]
        hidden.append(code.to(torch.int64).numpy())
        h = lo + scale * code
    logits = torch.nn.functional.linear(h, f32(fq.out_W), f32(fq.out_b))
    logits = torch.round(logits / fq.out_scale)  # the output quantizer: integer logits on one shared scale
    return hidden, logits.argmax(dim=1).numpy()

"""Two models behind one runner: `model` picks one; models can be listed, made default and removed.

Run: python examples/multi_model.py
"""

from agent import ChatCompletionRequest, MultiModelRunner, Which

models = [
    {"model_id": "smol", "which": Which.GGUF(quantized_model_id="smollm2-135m")},
    {"model_id": "gemma", "which": Which.GGUF(quantized_model_id="gemma3-270m")},
]
with MultiModelRunner(models=models, default_model_id="smol") as runner:
    print("loaded:", runner.list_models(), "default:", runner.get_default_model_id())
    for model in ("smol", "gemma"):
        res = runner.send_chat_completion_request(
            ChatCompletionRequest(
                model=model, messages=[{"role": "user", "content": "The capital of France is"}], max_tokens=12
            )
        )
        print(f"{res.model}: {res.choices[0].message.content!r}")
    runner.remove_model("gemma")  # frees its memory
    print("after remove_model:", runner.list_models())

"""The Runner from async code: await a response, or iterate a stream with `async for`.

Run: python examples/async_requests.py
"""

import anyio

from agent import ChatCompletionRequest, Runner, Which


async def main() -> None:
    with Runner(which=Which.GGUF(quantized_model_id="smollm2-135m")) as runner:
        question = [{"role": "user", "content": "Name a colour."}]
        res = await runner.send_chat_completion_request_async(ChatCompletionRequest(messages=question, max_tokens=16))
        print("response:", res.choices[0].message.content)
        stream = await runner.send_chat_completion_request_async(
            ChatCompletionRequest(messages=question, max_tokens=16, stream=True)
        )
        async with stream:  # closes the stream if the loop is left early
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    print(chunk.choices[0].delta.content, end="", flush=True)
        print()


anyio.run(main)

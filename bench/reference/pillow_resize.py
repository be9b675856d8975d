"""Reference for the image benchmark: the article's Pillow code, minus S3.

For each photo: open it, then for each size copy it, thumbnail() with LANCZOS and save as JPEG quality 85 with
optimize, exactly as the article's process_image() does. Photos are read into memory first so that only decoding,
resizing and encoding are timed. One process, one image at a time: Pillow's resize and codecs run on one core.

Usage: python pillow_resize.py ROUNDS PHOTO...
Prints one JSON line: {"images": n, "seconds": [wall, per round], "cpu_seconds": [process CPU, per round]}.
"""

import io
import json
import sys
import time

from PIL import Image

SIZES = {"thumbnail": (150, 150), "medium": (800, 800), "large": (1920, 1920)}


def process_image(data: bytes) -> list:
    img = Image.open(io.BytesIO(data))
    results = []
    for size_name, dimensions in SIZES.items():
        img_resized = img.copy()
        img_resized.thumbnail(dimensions, Image.LANCZOS)
        buffer = io.BytesIO()
        img_resized.save(buffer, format="JPEG", quality=85, optimize=True)
        results.append((size_name, img_resized.size, buffer.tell()))
    return results


def main() -> None:
    rounds = int(sys.argv[1])
    photos = [open(path, "rb").read() for path in sys.argv[2:]]
    process_image(photos[0])  # warm up the codecs
    seconds = []
    cpu_seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        cpu_start = time.process_time()
        for data in photos:
            process_image(data)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
    print(json.dumps({"images": len(photos), "seconds": seconds, "cpu_seconds": cpu_seconds}))


if __name__ == "__main__":
    main()

"""Makes the iPhone launch screens (pwa/splash/) and the Home Screen icon iOS uses
(pwa/icons/apple-touch-icon.png) from the maskable icon: the app's blue with its folder in the
middle. Run again when the icon changes: `.venv/bin/python scripts/splash.py`.

iOS shows a launch image only when one matches the phone's screen exactly (its `media` in
index.html); the sizes are those of the iPhones in use (portrait)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

PWA = Path(__file__).resolve().parents[1] / "pwa"
BLUE = (11, 79, 138)
# (CSS width, CSS height, device pixel ratio): SE/8; XR/11; X/XS/11 Pro/12 mini/13 mini;
# XS Max/11 Pro Max; 12-14; 12-13 Pro Max/14 Plus; 14 Pro/15/16; 14 Pro Max/15 Plus/16 Plus;
# 16 Pro; 16 Pro Max.
SCREENS = [(375, 667, 2), (414, 896, 2), (375, 812, 3), (414, 896, 3), (390, 844, 3),
           (428, 926, 3), (393, 852, 3), (430, 932, 3), (402, 874, 3), (440, 956, 3)]


def main() -> None:
    icon = Image.open(PWA / "icons" / "maskable-512.png").convert("RGB")
    icon.resize((180, 180), Image.LANCZOS).save(PWA / "icons" / "apple-touch-icon.png", optimize=True)
    out = PWA / "splash"
    out.mkdir(exist_ok=True)
    for width, height, ratio in SCREENS:
        w, h = width * ratio, height * ratio
        side = w // 2  # the folder fills about a third of the width (it is 60 % of the icon)
        screen = Image.new("RGB", (w, h), BLUE)
        screen.paste(icon.resize((side, side), Image.LANCZOS), ((w - side) // 2, (h - side) // 2))
        screen.save(out / f"{w}x{h}.png", optimize=True)


if __name__ == "__main__":
    main()

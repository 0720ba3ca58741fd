// The peer's address as a QR code beside its text, so another phone of the person's can open it
// with its camera instead of typing it. Drawn as an SVG image (qrcode's own renderer): nothing is
// injected into the page as markup.
import { useEffect, useState } from "react";
import QRCode from "qrcode";

export function PeerAddressQr({ address }: { address: string }) {
  const [svg, setSvg] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    QRCode.toString(address, { type: "svg", margin: 1, errorCorrectionLevel: "M" })
      .then((drawn) => current && setSvg(drawn))
      .catch(() => current && setSvg(null));
    return () => {
      current = false;
    };
  }, [address]);
  if (!svg) return null;
  return <img className="peer-qr" width={160} height={160} alt={`QR code of ${address}`} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`} />;
}

<?php
/**
 * Router for `php -S` in TimelineBrowserTest: a standalone page (no Magento) that loads timeline.js and
 * talks to the real cronkeeper service.
 *
 *   /                 the page; the token minted by `cronkeeper token` goes in the Authorization header
 *   /timeline.js      the module's component, byte for byte
 *   /graphql          forwarded to the service as is (cronkeeper sends no CORS headers, so the page
 *                     needs a same-origin path); each request's variables are appended to CK_REQUEST_LOG
 *   /run/view/id/<id> a stand-in for the run page the blocks link to
 */
declare(strict_types=1);

$path = (string)parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$env = static fn (string $name): string => (string)getenv($name);

if ($path === '/') {
    $config = json_encode([
        'graphqlUrl' => '/graphql',
        'token' => $env('CK_TOKEN'),
        'runUrl' => '/run/view/id/{id}',
        'zoom' => '6h',
        'refreshSeconds' => (int)$env('CK_REFRESH_SECONDS'),
        'timeZone' => 'UTC',
    ], JSON_THROW_ON_ERROR | JSON_HEX_TAG | JSON_HEX_AMP | JSON_UNESCAPED_SLASHES);
    header('Content-Type: text/html; charset=utf-8');
    echo <<<HTML
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Cronkeeper timeline</title>
<style>body{margin:16px;background:#fff}h1{font:600 20px system-ui,sans-serif;margin:0 0 12px}</style></head>
<body>
<h1>Cronkeeper timeline</h1>
<div id="timeline"></div>
<script src="/timeline.js"></script>
<script>window.timeline = CronkeeperTimeline($config, document.getElementById('timeline'));</script>
</body>
</html>
HTML;
    return true;
}

if ($path === '/timeline.js') {
    header('Content-Type: application/javascript');
    readfile($env('CK_TIMELINE_JS'));
    return true;
}

if ($path === '/graphql') {
    $body = (string)file_get_contents('php://input');
    $decoded = json_decode($body, true);
    file_put_contents($env('CK_REQUEST_LOG'), json_encode($decoded['variables'] ?? null) . "\n", FILE_APPEND | LOCK_EX);
    $handle = curl_init($env('CK_SERVICE_GRAPHQL'));
    curl_setopt_array($handle, [
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => $body,
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 10,
        CURLOPT_HTTPHEADER => [
            'Content-Type: application/json',
            'Authorization: ' . ($_SERVER['HTTP_AUTHORIZATION'] ?? ''),
        ],
    ]);
    $answer = curl_exec($handle);
    $status = (int)curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
    curl_close($handle);
    http_response_code($answer === false ? 502 : $status);
    header('Content-Type: application/json');
    echo $answer === false ? '{"errors":[{"message":"service unreachable"}]}' : $answer;
    return true;
}

if (preg_match('#^/run/view/id/([0-9]+)$#', $path, $m)) {
    header('Content-Type: text/html; charset=utf-8');
    echo '<!DOCTYPE html><html><body><h1 id="run">Run ' . $m[1] . '</h1></body></html>';
    return true;
}

http_response_code(404);
echo 'not found';
return true;

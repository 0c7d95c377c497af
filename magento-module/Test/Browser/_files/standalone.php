<?php
/**
 * Router for `php -S` in TimelineBrowserTest: standalone pages (no Magento) that load timeline.js and
 * talk to the real cronkeeper service.
 *
 *   /                 the page as any site would mount it: graphqlUrl + the token minted by `cronkeeper token`
 *   /proxy            the page as the Magento admin mounts it: dataUrl, no token in the browser
 *                     (either with ?pageSize=N: N jobs a page instead of the component's default)
 *   /timeline.js      the module's component, byte for byte
 *   /graphql          forwarded to the service as is (cronkeeper sends no CORS headers, so the page
 *                     needs a same-origin path)
 *   /timeline/data    Model/Timeline/TimelineProxy, what Controller/Adminhtml/Timeline/Data runs, with
 *                     a token minted here as the admin controller mints it
 *   /run/view/id/<id> a stand-in for the run page the blocks link to
 *
 * Each data request's variables are appended to CK_REQUEST_LOG: the GraphQL variables as sent to /graphql,
 * or the proxy's parameters (view, from, to, jobCodes, first, after, search).
 */
declare(strict_types=1);

use Cronkeeper\Scheduler\Model\GraphQl\Client;
use Cronkeeper\Scheduler\Model\Timeline\TimelineProxy;
use Cronkeeper\Scheduler\Test\Support\MintingServiceClient;

require dirname(__DIR__, 2) . '/bootstrap.php';

$path = (string)parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$env = static fn (string $name): string => (string)getenv($name);
$log = static fn (mixed $variables) => file_put_contents(
    $env('CK_REQUEST_LOG'),
    json_encode($variables) . "\n",
    FILE_APPEND | LOCK_EX
);

if ($path === '/' || $path === '/proxy') {
    $source = $path === '/'
        ? ['graphqlUrl' => '/graphql', 'token' => $env('CK_TOKEN')]
        : ['dataUrl' => '/timeline/data'];
    $pageSize = isset($_GET['pageSize']) ? ['pageSize' => (int)$_GET['pageSize']] : [];
    $config = json_encode($source + $pageSize + [
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
    $log(json_decode($body, true)['variables'] ?? null);
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

if ($path === '/timeline/data') {
    $log(array_intersect_key($_GET, array_flip(['view', 'from', 'to', 'jobCodes', 'first', 'after', 'search'])));
    $client = new MintingServiceClient(new Client($env('CK_SERVICE_GRAPHQL'), 1000, 5000), $env('CK_JWT_SECRET'), 'viewer', 'timeline-proxy');
    $answer = (new TimelineProxy($client))->answer($_GET);
    http_response_code($answer['status']);
    header('Content-Type: application/json');
    echo json_encode($answer['body']);
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

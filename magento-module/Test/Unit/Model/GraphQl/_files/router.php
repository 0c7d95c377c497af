<?php
/**
 * Router for `php -S` in ClientTest: each path plays one behaviour of the service.
 */
declare(strict_types=1);

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$json = static function (int $status, array $body): void {
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body);
};
$error = static fn (string $message, string $code): array => [
    'data' => null,
    'errors' => [['message' => $message, 'extensions' => ['code' => $code]]],
];

switch ($path) {
    case '/echo':
        $json(200, ['data' => [
            'method' => $_SERVER['REQUEST_METHOD'],
            'authorization' => $_SERVER['HTTP_AUTHORIZATION'] ?? null,
            'contentType' => $_SERVER['CONTENT_TYPE'] ?? null,
            'body' => json_decode((string)file_get_contents('php://input'), true),
        ]]);
        break;
    case '/unauthenticated':
        $json(200, $error('token expired', 'UNAUTHENTICATED'));
        break;
    case '/http401':
        http_response_code(401);
        echo 'missing bearer token';
        break;
    case '/forbidden':
        $json(200, $error('role viewer may not pauseJob', 'FORBIDDEN'));
        break;
    case '/bad-input':
        $json(200, $error('timeoutSeconds: must not be negative', 'BAD_USER_INPUT'));
        break;
    case '/internal':
        $json(200, $error('internal error; the cause is in the service log', 'INTERNAL'));
        break;
    case '/no-code':
        $json(200, ['errors' => [['message' => 'Unknown field "foo" on type "Query"']]]);
        break;
    case '/http500':
        $json(500, ['message' => 'boom']);
        break;
    case '/http503':
        http_response_code(503);
        echo 'maintenance';
        break;
    case '/not-json':
        echo '<html>proxy page</html>';
        break;
    case '/slow':
        usleep(3_000_000);
        $json(200, ['data' => ['late' => true]]);
        break;
    default:
        http_response_code(404);
        echo 'not found';
}
